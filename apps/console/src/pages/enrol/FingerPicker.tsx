import { FINGERS } from '../people/model';

// Seen from the clerk's side with both hands palms down on the desk: left little finger on the
// far left, thumbs in the middle. Heights roughly follow real fingers so the layout reads as hands.
const LEFT = [9, 8, 7, 6, 5];
const RIGHT = [0, 1, 2, 3, 4];
const HEIGHT: Record<number, string> = {
  0: 'thumb',
  5: 'thumb',
  1: 'index',
  6: 'index',
  2: 'middle',
  7: 'middle',
  3: 'ring',
  8: 'ring',
  4: 'little',
  9: 'little',
};

/** One radio group over the ten fingers (arrow keys move between them), drawn as two hands. */
export function FingerPicker({ value, enrolled, onChange }: { value: number | null; enrolled: Set<number>; onChange: (finger: number) => void }) {
  const tile = (n: number) => {
    const name = FINGERS[n];
    const short = name.replace(/^(Left|Right) /, '').replace(' finger', '');
    return (
      <label key={n} className={`finger finger-${HEIGHT[n]}${value === n ? ' selected' : ''}${enrolled.has(n) ? ' enrolled' : ''}`}>
        <input
          type="radio"
          name="finger"
          value={n}
          checked={value === n}
          onChange={() => onChange(n)}
          aria-label={`${name}${enrolled.has(n) ? ', already enrolled' : ''}`}
        />
        <span className="finger-short" aria-hidden="true">
          {short}
        </span>
        {enrolled.has(n) ? (
          <span className="finger-mark" aria-hidden="true">
            ✓ enrolled
          </span>
        ) : null}
      </label>
    );
  };
  return (
    <fieldset className="finger-picker">
      <legend>Finger</legend>
      <div className="hands">
        <div className="hand" role="group" aria-label="Left hand">
          <div className="hand-title" aria-hidden="true">
            Left hand
          </div>
          <div className="hand-fingers">{LEFT.map(tile)}</div>
        </div>
        <div className="hand" role="group" aria-label="Right hand">
          <div className="hand-title" aria-hidden="true">
            Right hand
          </div>
          <div className="hand-fingers">{RIGHT.map(tile)}</div>
        </div>
      </div>
      <p className="muted finger-selected" aria-live="polite">
        {value === null ? 'No finger chosen yet.' : `Chosen: ${FINGERS[value]}${enrolled.has(value) ? ' (already enrolled)' : ''}.`}
      </p>
    </fieldset>
  );
}
