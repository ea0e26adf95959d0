import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const README = join(ROOT, "README.md");
const DOCS = join(ROOT, "docs");

const docsPages = readdirSync(DOCS)
  .filter((name) => name.endsWith(".md"))
  .map((name) => join(DOCS, name));
const documents = [README, ...docsPages];

const read = (file: string) => readFileSync(file, "utf8");
const withoutCode = (markdown: string) =>
  markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");

/** Markdown links and images, `[text](target)`, outside code blocks and code spans. */
function links(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map(
    (match) => match[1] as string,
  );
}

/** The anchors GitHub gives a file's headings (lower case, punctuation dropped, spaces to dashes). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of markdown.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (match[1] as string)
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

const packageScripts: Record<string, string> = JSON.parse(read(join(ROOT, "package.json"))).scripts;

describe("the README and the docs pages", () => {
  test("every docs page the README links to exists, and every docs page is linked from it", () => {
    const linked = links(read(README))
      .map((target) => target.split("#")[0] as string)
      .filter((path) => /^docs\/[^/]+\.md$/.test(path));
    for (const path of linked) expect(existsSync(join(ROOT, path))).toBe(true);
    const pages = docsPages.map((file) => relative(ROOT, file));
    expect([...new Set(linked)].sort()).toEqual(pages.sort());
  });

  test("every relative link and anchor in the README and the docs pages resolves", () => {
    const broken: string[] = [];
    for (const file of documents) {
      for (const target of links(read(file))) {
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto: ...
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const linkedFile = path === "" ? file : join(dirname(file), path);
        const where = `${relative(ROOT, file)} -> ${target}`;
        if (!existsSync(linkedFile)) broken.push(`${where}: no such file`);
        else if (anchor !== undefined && !anchors(read(linkedFile)).has(anchor))
          broken.push(`${where}: no such heading`);
      }
    }
    expect(broken).toEqual([]);
  });

  test("the README stays a five-minute read", () => {
    expect(read(README).split("\n").length).toBeLessThan(200);
  });

  test("the README's two commands are the ones package.json defines", () => {
    const readme = read(README);
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm test ");
    expect(packageScripts.start).toBe("bun index.ts");
    expect(packageScripts.test).toBe("bun test --timeout 30000 --parallel=2");
    expect(readme).toContain("`npm start` runs `bun index.ts`");
    expect(readme.replace(/\s+/g, " ")).toContain(
      "`npm test` runs `bun test --timeout 30000 --parallel=2`",
    );
  });

  test("every `npm run` or `bun run` script the README and the docs mention is in package.json", () => {
    const unknown: string[] = [];
    for (const file of documents) {
      for (const match of read(file).matchAll(/\b(?:npm|bun) run ([a-z][\w:-]*)/g)) {
        const script = match[1] as string;
        if (!(script in packageScripts)) unknown.push(`${relative(ROOT, file)}: ${script}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
