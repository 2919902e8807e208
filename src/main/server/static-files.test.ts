import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeFor, resolveStaticFile } from './static-files';

describe('resolveStaticFile', () => {
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'tessera-static-'));
    root = path.join(base, 'renderer');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html>');
    await writeFile(path.join(root, 'assets', 'index-abc.js'), '');
    await writeFile(path.join(base, 'secret.txt'), 'outside');
    await symlink(path.join(base, 'secret.txt'), path.join(root, 'leak.txt'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('serves index.html for the root and files under it', async () => {
    expect(await resolveStaticFile(root, '/')).toBe(path.join(root, 'index.html'));
    expect(await resolveStaticFile(root, '/assets/index-abc.js')).toBe(
      path.join(root, 'assets', 'index-abc.js'),
    );
  });

  it.each(['/../secret.txt', '/assets/%2E%2E/%2E%2E/secret.txt', '/..%2Fsecret.txt', '/%00', '/%E0%A4%A'])(
    'refuses %s',
    async (urlPath) => {
      expect(await resolveStaticFile(root, urlPath)).toBeNull();
    },
  );

  it('refuses a symlink that points out of the root', async () => {
    expect(await resolveStaticFile(root, '/leak.txt')).toBeNull();
  });

  it('refuses directories and missing files', async () => {
    expect(await resolveStaticFile(root, '/assets')).toBeNull();
    expect(await resolveStaticFile(root, '/nope.js')).toBeNull();
  });
});

describe('contentTypeFor', () => {
  it('gives module scripts a JavaScript type', () => {
    expect(contentTypeFor('index-abc.js')).toMatch(/^text\/javascript/);
    expect(contentTypeFor('a.CSS')).toMatch(/^text\/css/);
    expect(contentTypeFor('blob.bin')).toBe('application/octet-stream');
  });
});
