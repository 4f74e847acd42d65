/**
 * Loading the project's WebAssembly modules (lib/events/wasm/*.wasm, built by `npm run
 * build:wasm`): each file is compiled once per thread, and instantiated per user (a scanner, a
 * part writer), with the one import AssemblyScript's stub runtime needs.
 */
import * as fs from 'node:fs';

// Node has WebAssembly; TypeScript declares it only in the DOM lib, which this project does not load.
declare const WebAssembly: {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: unknown };
};

/** What every module exports: its memory. */
export interface ModuleMemory {
  readonly memory: { readonly buffer: ArrayBuffer };
}

const compiled = new Map<string, object>();

/** A new instance of the module in `file`, its exports typed as T. */
export function instantiate<T extends ModuleMemory>(file: string): T {
  let module = compiled.get(file);
  if (module === undefined) {
    module = new WebAssembly.Module(fs.readFileSync(file));
    compiled.set(file, module);
  }
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort: () => {
        throw new Error('the module aborted');
      },
    },
  });
  return instance.exports as T;
}
