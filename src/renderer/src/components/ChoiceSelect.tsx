interface ChoiceSelectProps<T extends string> {
  label: string;
  value: T;
  choices: Record<T, string>;
  onChange(value: T): void;
  testId: string;
}

/** A labelled choice among a fixed set, as the preferences use them (sort order, theme, layout). */
export function ChoiceSelect<T extends string>({
  label,
  value,
  choices,
  onChange,
  testId,
}: ChoiceSelectProps<T>) {
  return (
    <label className="inline-field">
      {label}
      <select value={value} data-testid={testId} onChange={(e) => onChange(e.target.value as T)}>
        {(Object.entries(choices) as [T, string][]).map(([choice, text]) => (
          <option key={choice} value={choice}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
