import { executeQueryPlan, buildOperationContext, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import type { GraphQLRequestContext } from '@apollo/server';
import { print, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Logger } from '@medport/server';
import type { GatewayContext } from '../context.js';

/**
 * How one subscription document runs across the silos: `primary` is the fetch the owning subgraph answers with
 * each event (opened there as a subscription), `rest` the fetches of other silos' fields that follow it.
 */
export interface SubscriptionPlan {
  primary: FetchNode;
  rest: PlanNode | undefined;
  /** The plan executed for each event: the primary fetch (answered by the event), then the rest. */
  perEvent: QueryPlan;
  operationContext: ReturnType<typeof buildOperationContext>;
  document: DocumentNode;
  query: string;
  operationName: string | null;
}

type ExecutionContext = Parameters<typeof executeQueryPlan>[2];

/** Plans are kept per document and operation name; the cap bounds memory against clients sending endless variants. */
const MAX_CACHED_PLANS = 500;

/**
 * Plans subscriptions on the supergraph with Apollo's query planner and executes the plan per event with Apollo's
 * `executeQueryPlan`, so result shaping, aliases, fragments, `@include`, errors and forwarded headers behave
 * exactly as they do for queries. Only exported APIs are used.
 */
export class SubscriptionPlanner {
  readonly schema: GraphQLSchema;
  private readonly apiSchema: Schema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly plans = new Map<string, SubscriptionPlan>();

  constructor(
    supergraphSdl: string,
    private readonly dataSources: Record<string, GraphQLDataSource<GatewayContext>>,
    private readonly logger: Logger,
  ) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  /** The plan of a validated subscription document. */
  plan(document: DocumentNode, operationName: string | null): SubscriptionPlan {
    const query = print(document);
    const key = `${operationName ?? ''}\n${query}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const operation = operationFromDocument(this.apiSchema, document, { operationName: operationName ?? undefined });
    const queryPlan = this.planner.buildQueryPlan(operation);
    const node = queryPlan.node;
    if (node?.kind !== 'Subscription') throw new Error('Not a subscription operation');
    const perEvent: QueryPlan = {
      kind: 'QueryPlan',
      node: node.rest ? { kind: 'Sequence', nodes: [node.primary, node.rest] } : node.primary,
    };
    const plan: SubscriptionPlan = {
      primary: node.primary,
      rest: node.rest,
      perEvent,
      operationContext: buildOperationContext({ schema: this.schema, operationDocument: document, operationName: operationName ?? undefined }),
      document,
      query,
      operationName,
    };
    if (this.plans.size >= MAX_CACHED_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, plan);
    return plan;
  }

  /** The variables the primary fetch uses, and only those: the owning subgraph needs no other. */
  primaryVariables(plan: SubscriptionPlan, variables: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries((plan.primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]));
  }

  /**
   * The client's result for one event: the owning subgraph's data for the primary fetch, completed by the other
   * silos' fields, fetched as the `context` caller.
   */
  async executeEvent(
    plan: SubscriptionPlan,
    event: ExecutionResult,
    variables: Record<string, unknown>,
    context: GatewayContext,
  ): Promise<ExecutionResult> {
    const eventSource: GraphQLDataSource<GatewayContext> = {
      process: async () => ({ data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) }),
    };
    const serviceMap: ServiceMap = { ...this.dataSources, [plan.primary.serviceName]: eventSource };
    const requestContext = {
      request: { query: plan.query, variables, operationName: plan.operationName ?? undefined },
      document: plan.document,
      operationName: plan.operationName,
      contextValue: context,
      context,
      // executeQueryPlan records traces and error paths on it.
      metrics: {},
      logger: this.logger,
    } as unknown as ExecutionContext & Pick<GraphQLRequestContext<GatewayContext>, 'contextValue'>;
    const result = await executeQueryPlan(plan.perEvent, serviceMap, requestContext, plan.operationContext, this.supergraphSchema, this.apiSchema);
    return { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors } : {}) };
  }
}
