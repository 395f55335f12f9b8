// The host API's presentation layer: guest values, signatures, results, faults and errors as text
// and JSON, and arguments from text or JSON. Shared by every front end (the CLI, the demo server,
// the extension and the debug adapter), so each shows and accepts the same things.
export { ArgumentError } from './argument-checks';
export { convertArgument, convertArguments, splitArguments } from './arguments';
export { convertJsonArgument, convertJsonArguments } from './launch-arguments';
export {
  formatDuration, formatF32, formatSignature, formatValue, signatureToJson, toHex, toJsonValue,
  type JsonValue, type SignatureJson,
} from './values';
export { hostCallToJson, resultToJson, type HostCallJson, type ResultJson } from './results';
export { describeFault, faultToJson, type FaultJson } from './faults';
export { errorDetailsToJson, errorToJson, formatError, type ErrorJson, type FailureJson } from './errors';
