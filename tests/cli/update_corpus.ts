/**
 * Rewrites tests/cli/corpus/<name>.expected.json from what `validate --json` prints now.
 * A maintainer's tool: run it after changing a message on purpose, then review the diff.
 *
 *   deno run -A tests/cli/update_corpus.ts
 */
import { CORPUS, validateCorpus } from "./run_cli.ts";

const { byFile } = await validateCorpus();
for (const [file, expected] of byFile) {
  await Deno.writeTextFile(
    `${CORPUS}${file.replace(/\.yaml$/, ".expected.json")}`,
    JSON.stringify(expected, null, 2) + "\n",
  );
}
console.log(`wrote ${byFile.size} expected reports`);
