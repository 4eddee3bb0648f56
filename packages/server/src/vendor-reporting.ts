import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';

/*
 * MedPort carries patient data: none of its processes may contact a vendor on its own. Apollo's libraries do by
 * default or as soon as the environment holds an Apollo key, so these switches are thrown in code, whatever the
 * environment says; a test records every connection the services attempt and fails on any that was not configured.
 */

/**
 * Apollo Server's plugins that talk to Apollo's hosted services, each replaced by its disabled twin: usage and
 * schema reporting (installed by themselves when APOLLO_KEY is set), inline traces (only read by usage reporting)
 * and the default landing page (it loads Apollo's hosted IDE into the browser).
 */
export function vendorReportingDisabled<TContext extends BaseContext>(): ApolloServerPlugin<TContext>[] {
  return [
    ApolloServerPluginUsageReportingDisabled(),
    ApolloServerPluginSchemaReportingDisabled(),
    ApolloServerPluginInlineTraceDisabled(),
    ApolloServerPluginLandingPageDisabled(),
  ];
}

/**
 * @apollo/gateway starts an OpenTelemetry exporter of its own when constructed, unless this variable is true: it
 * sends usage metrics to Apollo's endpoint and its cloud resource detectors probe the AWS, GCP, Azure and Alibaba
 * metadata addresses. Call before every `new ApolloGateway`.
 */
export function disableApolloGatewayTelemetry(): void {
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
}
