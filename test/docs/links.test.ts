// Every relative link of README.md and docs/*.md points to a file of the repository, and every
// `#anchor` to a heading of the page it names (GitHub's heading ids), so the docs never send a
// reader to a page or section that is gone.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { documents, root } from "./documents.ts";

/** Text outside fenced blocks and inline code, where a link is a link. */
const prose = (text: string) => text.replace(/^( *)```[\s\S]*?^\1```[ \t]*$/gm, "").replace(/`[^`\n]*`/g, "");

/** GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

function anchorsOf(path: string): Set<string> {
  const text = readFileSync(path, "utf8").replace(/^( *)```[\s\S]*?^\1```[ \t]*$/gm, "");
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading as string);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

for (const document of documents) {
  test(`${document}: every relative link and anchor resolves`, () => {
    const text = prose(readFileSync(join(root, document), "utf8"));
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(target as string)) continue; // https:, mailto:
      const [path, anchor] = (target as string).split("#") as [string, string | undefined];
      const file = path === "" ? join(root, document) : join(root, dirname(document), path);
      if (!existsSync(file)) {
        broken.push(`${target} (no ${relative(root, file)})`);
        continue;
      }
      if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(file).has(anchor)) {
        broken.push(`${target} (no heading #${anchor} in ${relative(root, file)})`);
      }
    }
    assert.equal(broken, [], `${document}: broken links:\n  ${broken.join("\n  ")}`);
  });
}

test.run();
