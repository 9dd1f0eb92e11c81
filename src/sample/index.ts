// segkit/sample: seeded generators of customers, transactions and events with known segments (for demos, tests and benchmarks).
export { sampleCustomers, SAMPLE_SEGMENTS, type SampleSegment, type SampleCustomersOptions } from './sampleCustomers.js';
export { sampleTransactions, type SampleTransactionsOptions } from './sampleTransactions.js';
export { sampleEvents, SAMPLE_FEATURES, type SampleEventsOptions } from './sampleEvents.js';
