import assert from "node:assert/strict";
import { UnsafeTargetError, writeAtomically } from "../../src/cli/atomic_writer.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const TS_DIR = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/;

async function listing(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    const info = await Deno.lstat(path);
    entries[entry.name] = info.isSymlink
      ? `-> ${await Deno.readLink(path)}`
      : `${info.isDirectory ? "d" : "f"} ${(info.mode! & 0o7777).toString(8)}`;
  }
  return entries;
}

async function inTempDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "atomic-writer-" });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("atomic writer: the driver's layout, modes applied verbatim whatever the umask", async () => {
  await inTempDir(async (dir) => {
    const target = `${dir}/mount`;
    const previous = Deno.umask(0o077);
    let outcome;
    try {
      outcome = await writeAtomically(target, [
        { path: "db-password", mode: 0o644, contents: bytes("p1") },
        { path: "keys/api", mode: 0o600, contents: bytes("k1") },
        { path: "keys/nested/deep", mode: 0o440, contents: bytes("d1") },
        { path: "locked", mode: 0, contents: bytes("") },
      ], new Date(Date.UTC(2026, 5, 11, 10, 20, 30)));
    } finally {
      Deno.umask(previous);
    }
    assert.equal(outcome.written, true);
    assert.match(outcome.dataDir, /^\.\.2026_06_11_10_20_30\.\d+$/);
    assert.deepEqual(await listing(target), {
      [outcome.dataDir]: "d 755",
      "..data": `-> ${outcome.dataDir}`,
      "db-password": "-> ..data/db-password",
      "keys": "-> ..data/keys",
      "locked": "-> ..data/locked",
    });
    assert.equal((await Deno.stat(target)).mode! & 0o777, 0o700, "a new target is private");
    const data = `${target}/${outcome.dataDir}`;
    assert.deepEqual(await listing(data), {
      "db-password": "f 644",
      "keys": "d 700",
      "locked": "f 0",
    });
    assert.deepEqual(await listing(`${data}/keys`), { api: "f 600", nested: "d 700" });
    assert.deepEqual(await listing(`${data}/keys/nested`), { deep: "f 440" });
    assert.equal(await Deno.readTextFile(`${target}/keys/nested/deep`), "d1", "readable through the links");
  });
});

Deno.test("atomic writer: unchanged content is not rewritten; a change swaps ..data and prunes", async () => {
  await inTempDir(async (dir) => {
    const target = `${dir}/mount`;
    const first = await writeAtomically(target, [
      { path: "a", mode: 0o644, contents: bytes("1") },
      { path: "gone/x", mode: 0o644, contents: bytes("2") },
    ]);
    const same = await writeAtomically(target, [
      { path: "a", mode: 0o644, contents: bytes("1") },
      { path: "gone/x", mode: 0o644, contents: bytes("2") },
    ]);
    assert.deepEqual(same, { written: false, dataDir: first.dataDir });
    const second = await writeAtomically(target, [{ path: "a", mode: 0o600, contents: bytes("3") }]);
    assert.equal(second.written, true);
    assert.notEqual(second.dataDir, first.dataDir);
    assert.match(second.dataDir, TS_DIR);
    assert.deepEqual(await listing(target), {
      [second.dataDir]: "d 755",
      "..data": `-> ${second.dataDir}`,
      "a": "-> ..data/a",
    });
    assert.equal(await Deno.readTextFile(`${target}/a`), "3");
    assert.equal((await Deno.stat(`${target}/a`)).mode! & 0o777, 0o600);
  });
});

Deno.test("atomic writer: refuses a folder it did not write, and bad paths, changing nothing", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
    await assert.rejects(
      () => writeAtomically(dir, [{ path: "a", mode: 0o644, contents: bytes("1") }]),
      (error) => error instanceof UnsafeTargetError && /holds notes\.txt/.test(error.message),
    );
    assert.deepEqual(Object.keys(await listing(dir)), ["notes.txt"]);
    await assert.rejects(
      () => writeAtomically(`${dir}/new`, [{ path: "../escape", mode: 0o644, contents: bytes("1") }]),
      UnsafeTargetError,
    );
    await assert.rejects(() => Deno.lstat(`${dir}/new`), Deno.errors.NotFound);
  });
});
