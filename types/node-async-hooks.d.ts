// src/ type-checks without Node's types (Node globals must not leak into the isomorphic
// subpaths). hydracache/drizzle alone uses AsyncLocalStorage, which Node, Deno, Bun and
// workerd all provide; this is the part of its type it relies on.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
