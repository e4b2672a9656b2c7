// What the bundle-size bench counts as loading first: the entry and its static imports,
// transitively, as a bundler writes them; never a chunk the code only import()s.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { measureLoadSplit, staticImports } from '../../bench/bundle-size.js'

describe('staticImports', () => {
  it('finds import … from and bare imports of relative files, not import()', () => {
    const code =
      'import{a as e,b as t}from"./shared-1.js";import"./side.js";import * as n from "../up.js";' +
      'const l=()=>import(`./lazy.js`),m=()=>import("./lazy2.js");import{x}from"lit";'
    expect(staticImports(code)).toEqual(['./shared-1.js', './side.js', '../up.js'])
  })
})

describe('measureLoadSplit', () => {
  it('puts the entry and what it imports statically first, and import()ed chunks on demand', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-split-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const files: Record<string, string> = {
      'entry.js': 'import{s}from"./shared.js";const go=()=>import(`./lazy.js`);',
      'shared.js': 'import"./deeper.js";export const s=1;',
      'deeper.js': 'export const d=2;',
      'lazy.js': 'import{s}from"./entry.js";export const l=s;',
    }
    for (const [name, code] of Object.entries(files)) await writeFile(join(dir, name), code)
    const split = await measureLoadSplit(dir, 'entry.js')
    expect(split.firstLoadFiles).toEqual(['entry.js', 'shared.js', 'deeper.js'])
    expect(Object.keys(split.onDemandFiles)).toEqual(['lazy.js'])
    expect(split.firstLoad.files).toBe(3)
    expect(split.onDemand.rawBytes).toBe(files['lazy.js'].length)
  })
})
