// Validation problems as every answer reports them: the field's path and a message.

export interface FieldError {
  path: string;
  message: string;
}

interface Issue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

/** Field path + message for each problem; an unknown field is reported at its own path; `whole` names the input itself. */
export function formatIssues(issues: readonly Issue[], prefix = '', whole = '(body)'): FieldError[] {
  const at = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || whole;
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' && issue.keys
      ? issue.keys.map((key) => ({ path: at([...issue.path, key]), message: 'unknown field' }))
      : [{ path: at(issue.path), message: issue.message }],
  );
}
