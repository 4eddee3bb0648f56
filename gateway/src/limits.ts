import { ApolloArmor } from '@escape.tech/graphql-armor';
import { queryLimitError, type QueryLimitCode } from '@medport/graphql';
import type { GraphQLError, ParseOptions, ValidationContext, ValidationRule } from 'graphql';
import type { GatewayConfig } from './config.js';

export interface QueryLimits {
  /** Cost, depth, aliases and directives: validation rules, for HTTP and for subscriptions alike. */
  validationRules: ValidationRule[];
  /** The token limit, which graphql-js's parser enforces while it reads the document. */
  parseOptions: ParseOptions;
  /** Hides "Did you mean …" suggestions from validation errors, where asked. */
  plugins: ReturnType<ApolloArmor['protect']>['plugins'];
}

const count = (value: number) => value.toLocaleString('en-US');

/** The value graphql-armor measured, from its message ("… exceeded, found 14."), or undefined. */
function measuredBy(error: GraphQLError): number | undefined {
  const match = /found (\d+(?:\.\d+)?)\.?$/.exec(error.message);
  // Costs can be fractional (each level of nesting weighs 1.5 times the one above); rounding up keeps them above
  // the limit.
  return match ? Math.ceil(Number(match[1])) : undefined;
}

/**
 * Armor's own refusal reads "Syntax Error: Query Cost limit of 5000 exceeded" and carries a code Apollo overwrites
 * with GRAPHQL_VALIDATION_FAILED; MedPort reports the limit's own code (restored by `formatErrorFor`), the limit
 * and the operation's value instead.
 */
function refuseWith(code: QueryLimitCode, limit: number, message: (found: string, most: string) => string) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const actual = measuredBy(error);
        const found = actual === undefined ? `more than ${count(limit)}` : count(actual);
        context?.reportError(queryLimitError(code, message(found, count(limit)), { limit, actual }));
      },
    ],
  };
}

/** The gateway's query limits (MAX_COST, MAX_DEPTH, MAX_ALIASES, MAX_DIRECTIVES, MAX_TOKENS). */
export function gatewayQueryLimits(limits: GatewayConfig['limits'], options: { hideSuggestions: boolean }): QueryLimits {
  const armor = new ApolloArmor({
    costLimit: {
      maxCost: limits.maxCost,
      ...refuseWith('QUERY_TOO_COMPLEX', limits.maxCost, (found, most) => `The operation's estimated cost is ${found}; at most ${most} is allowed. Select fewer fields or ask for smaller pages.`),
    },
    maxDepth: {
      n: limits.maxDepth,
      ...refuseWith('QUERY_TOO_DEEP', limits.maxDepth, (found, most) => `The operation nests fields ${found} levels deep; at most ${most} are allowed.`),
    },
    maxAliases: {
      n: limits.maxAliases,
      ...refuseWith('QUERY_TOO_MANY_ALIASES', limits.maxAliases, (found, most) => `The operation uses ${found} aliases; at most ${most} are allowed.`),
    },
    maxDirectives: {
      n: limits.maxDirectives,
      ...refuseWith('QUERY_TOO_MANY_DIRECTIVES', limits.maxDirectives, (found, most) => `The operation uses ${found} directives; at most ${most} are allowed.`),
    },
    // Armor counts tokens by parsing the document a second time in a `parsingDidStart` hook, where whatever its
    // parser throws (any syntax error, not only the limit) escapes Apollo's handling of parse errors and becomes an
    // HTTP 500. graphql-js's parser counts tokens itself (`parseOptions`): a refusal is then an ordinary parse error.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: options.hideSuggestions },
  });
  const protection = armor.protect();
  return {
    validationRules: protection.validationRules as ValidationRule[],
    parseOptions: { maxTokens: limits.maxTokens },
    plugins: protection.plugins,
  };
}
