// Copies each example file into the Markdown blocks that show it: a fenced block right after
// `<!-- example: path -->` gets that file's content. Run `npm run docs:examples` after editing
// an example; the doc snippet test fails while a block and its file differ.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const docs = process.argv.slice(2);

for (const doc of docs) {
  const lines = readFileSync(`${root}${doc}`, "utf8").split("\n");
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const marker = /^<!-- example: (.+) -->$/.exec(lines[i] ?? "");
    if (!marker || !lines[i + 1]?.startsWith("```")) continue;
    out.push(lines[i + 1]);
    let end = i + 2;
    while (end < lines.length && !lines[end]?.startsWith("```")) end++;
    out.push(...readFileSync(`${root}${marker[1]}`, "utf8").trimEnd().split("\n"), lines[end]);
    i = end;
  }
  writeFileSync(`${root}${doc}`, out.join("\n"));
}
