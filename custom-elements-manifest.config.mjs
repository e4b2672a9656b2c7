// Settings for the custom elements manifest (dist/lib/custom-elements.json), made at build.
// package.json names the manifest itself, so the analyzer must not rewrite package.json.
export default {
  globs: ['src/components/parley-*.ts'],
  outdir: 'dist/lib',
  litelement: true,
  packagejson: false,
}
