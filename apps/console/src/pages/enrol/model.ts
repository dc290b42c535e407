import type { Api, Schemas } from '../../api';
import { keys } from '../../queries';
import type { Customer, Person } from '../people/model';

/** The enrolment view of libs/enrolment (EnrolmentView): ids, steps and codes, never a template. */
export type Enrolment = Schemas['EnrolmentView'];

export type ReaderLibrary = Schemas['ReaderLibraryView'];

/** Words for the person at the desk: short, imperative, readable from a step away. */
export function promptText(view: Enrolment): string {
  if (view.status === 'enrolled') return 'Done — thank you';
  if (view.status === 'cancelled') return 'Enrolment cancelled';
  if (view.status !== 'running') return 'Enrolment did not succeed';
  switch (view.prompt) {
    case 'place_finger':
      return 'Place your finger on the reader';
    case 'lift_finger':
      return 'Lift your finger';
    case 'place_again':
      return 'Place the same finger again';
    case 'try_again':
      return 'Try again: lift your finger and place it again';
    case 'done':
      return 'Done — thank you';
    default:
      return view.step === 'starting' ? 'Getting the reader ready…' : 'Please wait…';
  }
}

/** What the clerk reads above the progress bar: which phase the server is in. */
export function stepText(view: Enrolment): string {
  const { taken, needed } = view.captures;
  if (view.status === 'enrolled') return `Finished · ${needed} of ${needed} captures`;
  if (view.status !== 'running') return `Stopped · ${taken} of ${needed} captures were taken`;
  const capture = /^(capture|lift)_(\d+)$/.exec(view.step);
  if (capture) return capture[1] === 'lift' ? `Capture ${capture[2]} of ${needed} taken` : `Waiting for capture ${capture[2]} of ${needed}`;
  const steps: Record<string, string> = {
    starting: 'Starting',
    restart: 'Starting the captures again',
    merging: 'Building the template',
    duplicate_check: 'Checking the finger is not enrolled for someone else',
    storing: 'Storing the template',
    clearing_desk: 'Clearing the desk reader',
  };
  return `${steps[view.step] ?? view.step.replace(/_/g, ' ')} · ${taken} of ${needed} captures`;
}

export const FAILURE_TEXT: Record<string, string> = {
  timeout: 'No finger arrived in time. Ask the person to place the finger when the screen says so.',
  cancelled: 'The enrolment was cancelled at the desk.',
  duplicate_finger: 'This finger is already enrolled for another person. The enrolment was refused and recorded in the audit log.',
  poor_quality: 'The fingerprint images were not clear enough. Clean the sensor and the finger, then try again.',
  fingers_differ: 'The captures did not match each other. The same finger must be placed every time.',
  reader_error: 'The desk reader reported an error. Check it is connected, then try again.',
};

export function failureText(reason: string | null): string {
  return (reason && FAILURE_TEXT[reason]) ?? `The enrolment ended: ${reason ?? 'unknown reason'}.`;
}

export const READER_TONE: Record<ReaderLibrary['state'], { tone: 'ok' | 'warn' | 'bad' | 'idle'; label: string }> = {
  ready: { tone: 'ok', label: 'Online' },
  connecting: { tone: 'warn', label: 'Connecting' },
  idle: { tone: 'warn', label: 'Not connected yet' },
  failed: { tone: 'bad', label: 'Offline' },
  closed: { tone: 'bad', label: 'Offline' },
  disabled: { tone: 'idle', label: 'Disabled' },
};

export interface EnrolChoice {
  customer: Customer;
  person: Person;
  finger: number;
  reader: ReaderLibrary;
}

/** Every reader's library (GET /reader-libraries); the desk and the distribution view filter it by role. */
export function readerLibrariesQuery(api: Api) {
  return { queryKey: keys.readerLibraries(), queryFn: () => api.get<ReaderLibrary[]>('/reader-libraries') };
}
