// Run once by `konduktor up` and the tests (localhost/Azurite.cs): Azurite's entry script and the ~3,500 modules it
// requires, bundled by esbuild into one file, which node loads in about half the time (measured: 2.6 s → 1.3 s until
// Azurite listens). LokiJS stays outside the bundle: azurite-preload.js hooks its prototype, and both must load the
// same copy. pg-hstore is an optional database driver Azurite never loads here.
//
// usage: node azurite-bundle.js <azurite.js> <output.js>
"use strict";
const path = require("path");
const [entry, output] = process.argv.slice(2);
const esbuild = require(require.resolve("esbuild", { paths: [path.dirname(entry)] }));
esbuild
  .build({
    entryPoints: [entry],
    outfile: output,
    bundle: true,
    platform: "node",
    target: "node20",
    external: ["lokijs", "pg-hstore"],
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "error",
  })
  .catch(() => process.exit(1));
