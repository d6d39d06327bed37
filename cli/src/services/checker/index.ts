export * from './check.js';
export * from './final-state.js';
export * from './history.js';
