"""Stage 5, report: the diff of a block, the JSON and JUnit reports, and progress lines."""
