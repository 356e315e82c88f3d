/**
 * Builds an UpdateItem expression in which every attribute name is aliased, so DynamoDB's reserved words
 * (status, source, raw, name, size ...) never get in the way.
 */
export interface UpdateSpec {
  set?: Record<string, unknown>;
  /** Set only when the attribute does not exist yet (creation times, initial balances). */
  setIfMissing?: Record<string, unknown>;
  add?: Record<string, number>;
  remove?: string[];
}

export interface BuiltUpdate {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export function buildUpdate(
  spec: UpdateSpec,
  extra: { names?: Record<string, string>; values?: Record<string, unknown> } = {},
): BuiltUpdate {
  const names: Record<string, string> = { ...extra.names };
  const values: Record<string, unknown> = { ...extra.values };
  let n = 0;
  const alias = (attribute: string) => {
    const id = n++;
    names[`#u${id}`] = attribute;
    return { name: `#u${id}`, value: `:u${id}` };
  };
  const sets: string[] = [];
  for (const [attribute, value] of Object.entries(spec.set ?? {})) {
    const a = alias(attribute);
    values[a.value] = value;
    sets.push(`${a.name} = ${a.value}`);
  }
  for (const [attribute, value] of Object.entries(spec.setIfMissing ?? {})) {
    const a = alias(attribute);
    values[a.value] = value;
    sets.push(`${a.name} = if_not_exists(${a.name}, ${a.value})`);
  }
  const adds: string[] = [];
  for (const [attribute, value] of Object.entries(spec.add ?? {})) {
    if (value === 0) continue;
    const a = alias(attribute);
    values[a.value] = value;
    adds.push(`${a.name} ${a.value}`);
  }
  const removes = (spec.remove ?? []).map((attribute) => alias(attribute).name);
  const clauses = [
    sets.length && `SET ${sets.join(', ')}`,
    adds.length && `ADD ${adds.join(', ')}`,
    removes.length && `REMOVE ${removes.join(', ')}`,
  ].filter(Boolean);
  return {
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}
