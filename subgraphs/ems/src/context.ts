import type { SubgraphContext } from '@medport/server';
import type { EmsDatabase } from './database.js';
import type { EmsLoaders, ScopedEmsLoaders } from './loaders.js';
import { scopeOf } from './scope.js';

export type EmsContext = SubgraphContext<EmsDatabase, EmsLoaders>;

/** The request's loaders of tenant records, bound to its caller's scope. */
export function scopedLoaders(context: EmsContext): ScopedEmsLoaders {
  return context.loaders.within(scopeOf(context));
}
