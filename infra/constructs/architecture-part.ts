import { createHash } from 'node:crypto';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * One part of the stack's architecture (storage, messaging, triggers, the admin API, alarms). It groups resources
 * in the construct tree only: its id is left out of their logical ids (see `logicalIdWithoutParts`), so moving a
 * resource between parts never makes CloudFormation replace it.
 */
export class ArchitecturePart extends Construct {}

/**
 * CDK's logical id (a human part and a hash of the construct path below the stack), computed over the path
 * without architecture parts: the ids the resources had before the stack was split into parts.
 */
export function logicalIdWithoutParts(stack: Stack, element: CfnElement): string {
  const scopes = element.node.scopes;
  const components = scopes
    .slice(scopes.indexOf(stack) + 1)
    .filter((scope) => !(scope instanceof ArchitecturePart))
    .map((scope) => scope.node.id)
    .filter((id) => id !== 'Default');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (components.length === 1) return alphanumeric(components[0]!);
  const hash = createHash('md5').update(components.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const component of components) if (human.length === 0 || !human[human.length - 1]!.endsWith(component)) human.push(component);
  return (
    human
      .filter((id) => id !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + hash
  );
}
