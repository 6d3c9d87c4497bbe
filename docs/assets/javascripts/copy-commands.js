/*
 * Copy buttons of tagged blocks copy only the commands.
 *
 * A tagged block (```console {#id .docsexec ...}) renders as
 *   <div id="id" class="language-console docsexec highlight" data-prompt="/ # ">
 * Material's copy button copies the text of the closest element that carries
 * a `data-copy` attribute when there is one (else the block's visible text),
 * so this script gives every .docsexec block a `data-copy` holding its
 * commands: the `$ ` lines without the prompt, their ` \` continuation lines
 * kept as written, the bodies of here-documents (`cat > f <<'EOF'` ... `EOF`),
 * and the inputs typed at an interactive program's prompt
 * (`data-prompt`, e.g. "/ # ip addr" -> "ip addr"). Output lines are left out.
 * The prompt is the one the page shows: `data-shown-prompt` when the block has
 * one (e.g. "# " for busybox's "/ # "). A block with `data-continue="other-id"`
 * starts at the prompt of the session block `other-id` left open, and takes its
 * prompts from that block. Inputs made only of control keys ("<CTRL-p><CTRL-q>")
 * are keys to press, not text: they are left out of the copy too.
 * Untagged blocks are not touched, so their copy buttons copy everything.
 * Set-up blocks (class `.setup`) have no copy button at all: docsexec renders them
 * collapsed and `.no-copy` (docsexec/faces/console_html.py), so they are skipped here too.
 */
(function () {
  "use strict";

  var SHELL_PROMPT = "$ ";
  var ONLY_KEYS = /^\s*(?:<CTRL-[^>]*>\s*)+$/i;

  /* The here-documents a command opens, in order: [{word, stripTabs}]. Mirrors
     docsexec/heredoc.py: `<<WORD`, `<<'WORD'`, `<<"WORD"`, `<<\WORD`, `<<-WORD`; not inside
     quotes, after a `#` comment, in `<<<` or in arithmetic (`$((1 << 3))`). */
  var WORD_END = " \t;&|<>()\n";

  function delimiters(text) {
    var found = [];
    var i = 0, quote = "", wordStart = true;
    while (i < text.length) {
      var c = text.charAt(i);
      if (quote) {
        if (c === "\\" && quote === '"') { i += 2; continue; }
        if (c === quote) quote = "";
        i += 1;
        continue;
      }
      if (c === "\\") { i += 2; wordStart = false; continue; }
      if (c === "'" || c === '"') { quote = c; wordStart = false; i += 1; continue; }
      if (c === "#" && wordStart) break;
      if (text.substr(i, 3) === "$((" || (wordStart && text.substr(i, 2) === "((")) {
        i = afterArithmetic(text, text.indexOf("((", i) + 2);
        wordStart = false;
        continue;
      }
      if (text.substr(i, 3) === "<<<") { i += 3; continue; }
      if (text.substr(i, 2) === "<<") {
        var parsed = operator(text, i + 2);
        if (parsed) { found.push(parsed.delimiter); i = parsed.index; wordStart = true; continue; }
        i += 2;
        continue;
      }
      wordStart = WORD_END.indexOf(c) >= 0;
      i += 1;
    }
    return found;
  }

  function afterArithmetic(text, i) {
    var depth = 2;
    while (i < text.length && depth) {
      var c = text.charAt(i);
      if (c === "(") depth += 1;
      if (c === ")") depth -= 1;
      i += 1;
    }
    return i;
  }

  function operator(text, i) {
    var stripTabs = text.charAt(i) === "-";
    if (stripTabs) i += 1;
    while (i < text.length && (text.charAt(i) === " " || text.charAt(i) === "\t")) i += 1;
    var word = "", quote = "";
    while (i < text.length) {
      var c = text.charAt(i);
      if (quote) {
        if (c === quote) quote = ""; else word += c;
        i += 1;
        continue;
      }
      if (c === "'" || c === '"') { quote = c; i += 1; continue; }
      if (c === "\\" && i + 1 < text.length) { word += text.charAt(i + 1); i += 2; continue; }
      if (WORD_END.indexOf(c) >= 0) break;
      word += c;
      i += 1;
    }
    if (quote || !word) return null;
    return { delimiter: { word: word, stripTabs: stripTabs }, index: i };
  }

  function closes(delimiter, line) {
    return (delimiter.stripTabs ? line.replace(/^\t+/, "") : line) === delimiter.word;
  }

  /* The command lines of a transcript, one string, lines joined by "\n".
     Mirrors docsexec/transcript.py: a `$ ` line is a command and takes the lines
     after it while they end in a backslash, then the bodies of the here-documents
     it opens, each up to its delimiter line; once a command has been typed, a line
     starting with the interactive prompt (or equal to it, trailing space trimmed)
     is one typed input; every other line is output. `continued` is true for a
     block that continues an earlier block's session (its inputs come first). */
  function commandsOf(text, innerPrompt, continued) {
    var lines = text.replace(/\n$/, "").split("\n");
    var out = [];
    var seenCommand = !!continued;
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      if (line.indexOf(SHELL_PROMPT) === 0) {
        var command = [line.slice(SHELL_PROMPT.length)];
        while (/\\$/.test(lines[i]) && i + 1 < lines.length) {
          i += 1;
          command.push(lines[i]);
        }
        var here = delimiters(command.join("\n"));
        for (var h = 0; h < here.length; h++) {
          while (i + 1 < lines.length) {
            i += 1;
            command.push(lines[i]);
            if (closes(here[h], lines[i])) break;
          }
        }
        out.push.apply(out, command);
        seenCommand = true;
      } else if (innerPrompt && seenCommand &&
                 (line.indexOf(innerPrompt) === 0 ||
                  line === innerPrompt.replace(/\s+$/, ""))) {
        var typed = line.slice(innerPrompt.length);
        if (!ONLY_KEYS.test(typed)) out.push(typed);
      }
    }
    return out.join("\n");
  }

  /* Show inputs typed at an interactive prompt as typed text, not as output:
     the console lexer renders "/ # ip addr" as one output (.go) span. */
  function markInputs(block, innerPrompt) {
    if (!innerPrompt) return;
    var spans = block.querySelectorAll("pre > code > span.go");
    for (var i = 0; i < spans.length; i++) {
      var span = spans[i];
      var text = span.textContent;
      if (text.indexOf(innerPrompt) !== 0) continue;
      var prompt = document.createElement("span");
      prompt.className = "gp";
      prompt.textContent = innerPrompt;
      var input = document.createElement("span");
      input.textContent = text.slice(innerPrompt.length);
      input.className = ONLY_KEYS.test(input.textContent) ? "docsexec-keys" : "docsexec-input";
      span.replaceWith(prompt, input);
    }
  }

  /* The interactive prompt as the page writes it; a continuing block inherits
     the prompts of the block whose session it continues. */
  function shownPrompt(block) {
    var own = block.getAttribute("data-shown-prompt") || block.getAttribute("data-prompt");
    if (own || !block.hasAttribute("data-continue")) return own;
    var opener = document.getElementById(block.getAttribute("data-continue"));
    return opener ? shownPrompt(opener) : null;
  }

  function tag(root) {
    var blocks = root.querySelectorAll(".docsexec");
    for (var i = 0; i < blocks.length; i++) {
      var block = blocks[i];
      var code = block.querySelector("pre > code");
      if (!code || block.hasAttribute("data-copy") || block.classList.contains("setup")) continue;
      var innerPrompt = shownPrompt(block);
      block.setAttribute("data-copy",
        commandsOf(code.textContent, innerPrompt, block.hasAttribute("data-continue")));
      markInputs(block, innerPrompt);
    }
  }

  /* Exposed for tests and for the curious reader's console. */
  window.docsexecCommandsOf = commandsOf;

  if (typeof document$ !== "undefined" && document$.subscribe) {
    /* Material emits document$ on every page load (also instant navigation). */
    document$.subscribe(function () { tag(document); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { tag(document); });
  } else {
    tag(document);
  }
})();
