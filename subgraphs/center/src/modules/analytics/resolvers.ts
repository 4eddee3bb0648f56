import type { TimeRange } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { summarizeNetwork } from './analytics.manager.js';

export const analyticsResolvers = {
  Query: {
    networkSummary: (_: unknown, args: { requested?: TimeRange | null }, context: CenterContext) => summarizeNetwork(context, args.requested),
  },
};
