'use strict';
/**
 * tsx's require hook, so TypeScript runs without a build step, except that dependencies' `.js`
 * files load as Node loads them. tsx reads every `.js` file it is asked for and runs an ES module
 * lexer over it, to turn ES module syntax into CommonJS; for DuckDB's client alone that cost
 * about 0.05 CPU-s of every `dskit events` run (the lexer itself, and V8 optimizing it), for
 * packages that are CommonJS already. A dependency that is an ES module (Node 20 refuses to
 * require one, before running any of it) still goes to tsx.
 */
const path = require('node:path');
const Module = require('node:module');

const DEPENDENCY = `${path.sep}node_modules${path.sep}`;

/** A `.js` loader: dependencies through Node's own (an ES module through tsx's), the project's through tsx's. */
function dependencyAwareLoader(nodeLoader, tsxLoader) {
  return function loadJs(module, filename) {
    if (!filename.includes(DEPENDENCY)) return tsxLoader.call(this, module, filename);
    try {
      return nodeLoader.call(this, module, filename);
    } catch (err) {
      if (err && err.code === 'ERR_REQUIRE_ESM') return tsxLoader.call(this, module, filename);
      throw err;
    }
  };
}

if (!Module._extensions['.js'].dskitDependencyAware) {
  const nodeLoader = Module._extensions['.js'];
  require('tsx/cjs');
  const loader = dependencyAwareLoader(nodeLoader, Module._extensions['.js']);
  loader.dskitDependencyAware = true;
  Module._extensions['.js'] = loader;
}

module.exports = { dependencyAwareLoader };
