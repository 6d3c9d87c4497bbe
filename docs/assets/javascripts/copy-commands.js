/*
 * Copy buttons of tagged blocks copy only the commands.
 *
 * A tagged block (```console {#id .docsexec ...}) renders as
 *   <div id="id" class="language-console docsexec highlight" data-prompt="/ # ">
 * Material's copy button copies the text of the closest element that carries
 * a `data-copy` attribute when there is one (else the block's visible text),
 * so this script gives every .docsexec block a `data-copy` holding its
 * commands: the `$ ` lines without the prompt, their ` \` continuation lines
 * kept as written, and the inputs typed at an interactive program's prompt
 * (`data-prompt`, e.g. "/ # ip addr" -> "ip addr"). Output lines are left out.
 * The prompt is the one the page shows: `data-shown-prompt` when the block has
 * one (e.g. "# " for busybox's "/ # "). A block with `data-continue="other-id"`
 * starts at the prompt of the session block `other-id` left open, and takes its
 * prompts from that block. Inputs made only of control keys ("<CTRL-p><CTRL-q>")
 * are keys to press, not text: they are left out of the copy too.
 * Untagged blocks are not touched, so their copy buttons copy everything.
 */
(function () {
  "use strict";

  var SHELL_PROMPT = "$ ";
  var ONLY_KEYS = /^\s*(?:<CTRL-[^>]*>\s*)+$/i;

  /* The command lines of a transcript, one string, lines joined by "\n".
     Mirrors docsexec/transcript.py: a `$ ` line is a command and takes the lines
     after it while they end in a backslash; once a command has been typed, a line
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
        out.push(line.slice(SHELL_PROMPT.length));
        while (/\\$/.test(lines[i]) && i + 1 < lines.length) {
          i += 1;
          out.push(lines[i]);
        }
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
      if (!code || block.hasAttribute("data-copy")) continue;
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
