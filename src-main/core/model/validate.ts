import { IDENTIFIER_TYPES, PROPERTY_TYPES, type ModelProperty, type ModelPropertyInput, type PropertyType } from '../api/model';
import { badRequest } from '../api/errors';

export const NAME_MAX = 63;
const SNAKE = /^[a-z][a-z0-9_]*$/;

/** A snake_case suggestion for a name that is not ("First Name" -> "first_name"). */
export function toSnakeCase(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(\d)/, 'p_$1');
}

/** Why a property name is refused, or null when it is fine. */
export function nameProblem(name: string): string | null {
  if (name.trim() === '') return 'Property name is required';
  if (name.startsWith('_')) return `"${name}": names starting with "_" are reserved for the app's own columns (_id, _created_at, _updated_at)`;
  if (name.length > NAME_MAX) return `"${name.slice(0, 20)}…" is longer than ${NAME_MAX} characters`;
  if (!SNAKE.test(name)) {
    const hint = toSnakeCase(name);
    const sqlish = /[\s;'"`()=*,-]/.test(name);
    return (
      `"${name}" is not a snake_case name: use lowercase letters, digits and underscores, starting with a letter` +
      (sqlish ? ' (spaces, quotes and SQL punctuation are not allowed)' : '') +
      (hint && SNAKE.test(hint) && hint !== name ? `, e.g. "${hint}"` : '')
    );
  }
  return null;
}

/**
 * Check a full list of properties (as given to model.update / model.preview). Throws a
 * bad_request naming the field (`properties.2.name`) at the first problem; returns the
 * properties normalized (trimmed description, no empty optional keys).
 */
export function validateProperties(input: readonly ModelPropertyInput[], current: readonly ModelProperty[]): (ModelProperty & { previousName?: string })[] {
  const seen = new Map<string, number>();
  const renamedFrom = new Map<string, number>();
  const currentNames = new Set(current.map((p) => p.name));
  const out: (ModelProperty & { previousName?: string })[] = [];
  input.forEach((p, i) => {
    const at = `properties.${i}`;
    const problem = nameProblem(p.name);
    if (problem) throw badRequest(problem, `${at}.name`);
    const dup = seen.get(p.name);
    if (dup !== undefined) throw badRequest(`Duplicate property name "${p.name}" (also property ${dup + 1})`, `${at}.name`);
    seen.set(p.name, i);
    if (!(PROPERTY_TYPES as readonly string[]).includes(p.type)) {
      throw badRequest(`Unknown type "${p.type}" for "${p.name}": use one of ${PROPERTY_TYPES.join(', ')}`, `${at}.type`);
    }
    const type = p.type as PropertyType;
    if (p.identifier && !IDENTIFIER_TYPES.includes(type)) {
      throw badRequest(`"${p.name}" cannot be an identifier: identifiers must be of type ${IDENTIFIER_TYPES.join(' or ')}, not ${type}`, `${at}.identifier`);
    }
    let previousName: string | undefined;
    if (p.previousName !== undefined && p.previousName !== p.name) {
      if (!currentNames.has(p.previousName)) {
        throw badRequest(`"${p.name}" renames "${p.previousName}", but the model has no property "${p.previousName}"`, `${at}.previousName`);
      }
      const other = renamedFrom.get(p.previousName);
      if (other !== undefined) throw badRequest(`"${p.previousName}" is renamed twice (properties ${other + 1} and ${i + 1})`, `${at}.previousName`);
      renamedFrom.set(p.previousName, i);
      previousName = p.previousName;
    }
    const description = p.description?.trim();
    out.push({
      name: p.name,
      type,
      ...(description ? { description } : {}),
      ...(p.identifier ? { identifier: true } : {}),
      ...(previousName ? { previousName } : {}),
    });
  });
  return out;
}

/** The properties without the update-only fields, as stored in workspace.json. */
export const stripInputFields = (props: (ModelProperty & { previousName?: string })[]): ModelProperty[] =>
  props.map(({ previousName: _p, ...rest }) => rest);
