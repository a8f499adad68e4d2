// ES module entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const {
  Webhook,
  WebhookError,
  ERROR_CODES,
  SIGNATURE_HEADER,
  VISIT_SIGNATURE_HEADER,
  DEFAULT_MAX_BODY_BYTES,
  VISITOR_IDENTIFIED,
  coreErrorCodes,
  isVisitorIdentified,
  parseVisit,
  sign,
  expressMiddleware,
  fastifyPlugin,
} = cjs;
export default cjs;
