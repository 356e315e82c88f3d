import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** cdk-nag renders an unresolved pseudo parameter as `<AWS::Region>`, a concrete one as itself. */
export function nagName(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}

/** cdk-nag names a bucket-object ARN finding after the bucket's logical id, e.g. `<MomaData1234.Arn>/transactions/*`. */
export function nagResource(scope: IConstruct, arn: string): string {
  const resolved = Stack.of(scope).resolve(arn) as { 'Fn::Join': [string, unknown[]] };
  return resolved['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : `<${(part as { 'Fn::GetAtt': string[] })['Fn::GetAtt'].join('.')}>`))
    .join('');
}
