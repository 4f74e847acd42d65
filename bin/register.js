'use strict';
/**
 * tsx's require hook, so TypeScript runs without a build step, except that dependencies' `.js`
 * files load as Node loads them. tsx reads every `.js` file it is asked for and runs an ES module
 * lexer over it (to rewrite ES module syntax as CommonJS); for DuckDB's client alone that cost
 * about 0.04 CPU-s of every `dskit events` run (the lexing, and V8 optimizing the lexer), for
 * packages that are CommonJS already, and Node 20.19 and later require ES modules themselves.
 */
const Module = require('node:module');
const { dependencyAwareLoader } = require('./dependency-loader');

if (!Module._extensions['.js'].dskitDependencyAware) {
  const nodeLoader = Module._extensions['.js'];
  require('tsx/cjs');
  const loader = dependencyAwareLoader(nodeLoader, Module._extensions['.js']);
  loader.dskitDependencyAware = true;
  Module._extensions['.js'] = loader;
}
