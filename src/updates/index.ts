// The updates layer's public surface: Yjs updates written in parts (a document's state in steps
// of a few records, a client's range of records, one transaction's change or several's), and whether a
// transaction changed a document; an update read once per task (`readUpdate`), and its records up
// to a gap (`gaplessRanges`). Imports nothing in src; history and transport use it.
export { arrayWeight, boundedPartSteps, contentBytes, partsAtSteps, STRUCT_HEADER_BYTES, stateVectorsAt } from './array-parts.js'
export { changedDocument, clientClocks, clocksAddedSince } from './doc-changes.js'
export { gaplessRanges, keptUpdate, type ReadUpdate, readUpdate, takeUpdate } from './read-update.js'
export {
  changesUpdate,
  type ClockRange,
  type DeleteSet,
  hasPending,
  isEmptyUpdate,
  RECORDS_PER_STEP,
  rangesUpdateSteps,
  runSteps,
  StepBudget,
  type Steps,
  stateUpdateSteps,
  transactionUpdate,
  type UpdateClocks,
  updateClockRanges,
  updateClocks,
  updateRecords,
} from './stepped-encoding.js'
