// Module resolve hook (node:module register): package exports resolve with the `development`
// condition, so @booking/node/* imports load the TypeScript sources instead of dist/.
export async function resolve(specifier, context, next) {
  if (context.conditions.includes('development')) return next(specifier, context);
  return next(specifier, { ...context, conditions: [...context.conditions, 'development'] });
}
