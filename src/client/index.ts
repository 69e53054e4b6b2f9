// `modelgate/client`: the same typed client as `@modelgate/client` (bundled in the modelgate package), for existing imports.
export * from '@modelgate/client';
