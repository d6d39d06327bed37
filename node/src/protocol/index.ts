export * from './errors.js';
export * from './methods.js';
export * from './model.js';
export { params as paramSchemas } from './params.js';
