/**
 * The read side's questions, as functions returning plain JSON-able objects, one file per read
 * model under queries/. Every input is checked by zod first (queries/inputs.ts: codes, P-codes,
 * dates) and then reaches SQL only through adapters/sql.ts. Every read goes through FINAL or
 * LIMIT 1 BY, so a redelivered event never shows twice.
 */
export { AS_OF, CODE, COUNTRY, DATE, DROP_ID, PCODE, parseInput, QueryInputError } from './queries/inputs.js';
export { FigureQuery, queryFigures, type FigureRow } from './queries/figures.js';
export { provenance, type Provenance, type ProvenanceObservation, type ReconciledFigure } from './queries/provenance.js';
export { listDiscrepancies, type DiscrepancyRow } from './queries/discrepancies.js';
export { listRejections, type RejectionRow } from './queries/rejections.js';
export { DROP_COLUMNS, dropRowFrom, listDrops, type DropRow, type RawDropRow } from './queries/drops.js';
