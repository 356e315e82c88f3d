import { AwsJsonClient } from './protocols';
import type { AwsClientOptions } from './signed-http';

export interface MetricDataQuery {
  Id: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> };
    Period: number;
    Stat: string;
  };
}

/** CloudWatch's modeled errors whose name is not their Query error code (the SDK names an error by its exception). */
const QUERY_ERROR_NAMES: Readonly<Record<string, string>> = {
  InvalidParameterInput: 'DashboardInvalidInputError',
  InternalServiceError: 'InternalServiceFault',
  InvalidFormat: 'InvalidFormatFault',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  InvalidParameterValue: 'InvalidParameterValueException',
  LimitExceeded: 'LimitExceededFault',
  MissingParameter: 'MissingRequiredParameterException',
  ValidationError: 'ValidationException',
};

/** CloudWatch's GetMetricData, over the JSON 1.0 protocol the SDK now speaks to it. */
export class CloudWatchClient {
  private readonly json: AwsJsonClient;

  constructor(options: AwsClientOptions = {}) {
    this.json = new AwsJsonClient(
      {
        signingName: 'monitoring',
        endpointVariable: 'CLOUDWATCH',
        endpointPrefix: 'monitoring',
        target: 'GraniteServiceVersion20100801',
        version: '1.0',
        queryCompatible: true,
        queryErrorNames: QUERY_ERROR_NAMES,
      },
      options,
    );
  }

  async getMetricData(input: { StartTime: Date; EndTime: Date; MetricDataQueries: MetricDataQuery[] }) {
    // Timestamps go as epoch seconds, as the SDK sends them.
    const out = await this.json.call<{ MetricDataResults?: Array<{ Id?: string; Values?: number[]; Timestamps?: number[] }> }>(
      'GetMetricData',
      { MetricDataQueries: input.MetricDataQueries, StartTime: input.StartTime.getTime() / 1000, EndTime: input.EndTime.getTime() / 1000 },
    );
    return out;
  }
}
