// JavaScript language service for Monaco (completions, hovers, diagnostics) with
// typings of the Segment event, for the pipelines' JavaScript transformations.
// Imported only by the pipeline editor; the base setup is in ./monaco.
import { monaco } from './monaco';
import { javascriptDefaults } from 'monaco-editor/languages/features/typescript/register';
import TsWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';

const base = self.MonacoEnvironment?.getWorker;
self.MonacoEnvironment = {
  ...self.MonacoEnvironment,
  getWorker: (id: string, label: string) => {
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    if (base) return base(id, label);
    throw new Error(`No worker for ${label}`);
  },
};

/** Typings of what transform(event) receives: Segment's normalized event. */
export const SEGMENT_EVENT_DTS = `
/** A Segment event as stored by Krenalis (normalized: timestamp corrected, messageId set, context merged). */
interface SegmentEvent {
  type: 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';
  /** Unique id of the event. */
  messageId: string;
  /** Your id of the user, when known. */
  userId?: string | null;
  /** The anonymous id of a visitor (device or browser). */
  anonymousId?: string | null;
  /** track: the action, e.g. "Order Completed". */
  event?: string;
  /** page/screen: the page or screen name. */
  name?: string;
  /** group: the account id. */
  groupId?: string;
  /** alias: the previous id. */
  previousId?: string;
  /** identify (and context.traits of other events): what you know about the user. */
  traits?: SegmentTraits;
  /** track/page/screen: the event's properties. */
  properties?: { [key: string]: any };
  context?: SegmentContext;
  integrations?: { [key: string]: any };
  /** ISO 8601 date-times. */
  timestamp: string;
  receivedAt: string;
  sentAt?: string;
  originalTimestamp?: string;
}

interface SegmentTraits {
  email?: string;
  firstName?: string;
  lastName?: string;
  name?: string;
  phone?: string;
  company?: string | { name?: string; [key: string]: any };
  title?: string;
  plan?: string;
  createdAt?: string;
  address?: { street?: string; city?: string; state?: string; postalCode?: string; country?: string };
  [key: string]: any;
}

interface SegmentContext {
  ip?: string;
  locale?: string;
  timezone?: string;
  userAgent?: string;
  library?: { name: string; version: string };
  os?: { name?: string; version?: string };
  browser?: { name?: string; version?: string };
  device?: { id?: string; type?: string; manufacturer?: string; model?: string; [key: string]: any };
  page?: { path?: string; referrer?: string; search?: string; title?: string; url?: string };
  screen?: { width?: number; height?: number; density?: number };
  campaign?: { name?: string; source?: string; medium?: string; term?: string; content?: string };
  location?: { city?: string; country?: string; latitude?: number; longitude?: number };
  traits?: SegmentTraits;
  [key: string]: any;
}

/** What transform returns: Customer Model property names and their values (null leaves a property untouched). */
type CustomerModelValues = { [property: string]: string | number | boolean | null | string[] | object };
`;

let done = false;
/** Once: JavaScript type checks on (JSDoc), the Segment event typings. */
export function setupJavaScript(): void {
  if (done) return;
  done = true;
  javascriptDefaults.setCompilerOptions({
    target: 99, // ESNext
    allowNonTsExtensions: true,
    allowJs: true,
    checkJs: true,
  });
  javascriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
  javascriptDefaults.addExtraLib(SEGMENT_EVENT_DTS, 'file:///segment-event.d.ts');
}

export { monaco };
