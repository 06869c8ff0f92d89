/** One thing wrong (or suspicious) in a SecretProviderClass, with where it was found. */
export interface ConfigProblem {
  readonly severity: "error" | "warning";
  /** Where: `keyvaultName`, `objects.array[2].objectAlias`, `secrets.clientid`, … */
  readonly where: string;
  readonly message: string;
  /** A replacement that probably fixes it (a parameter or field name). */
  readonly suggestion?: string;
}

/** Collects problems while a mount request is read, so every one is reported at once. */
export class ProblemList {
  readonly items: ConfigProblem[] = [];

  error(where: string, message: string, suggestion?: string): void {
    this.items.push({ severity: "error", where, message, suggestion });
  }

  warning(where: string, message: string, suggestion?: string): void {
    this.items.push({ severity: "warning", where, message, suggestion });
  }

  get errors(): ConfigProblem[] {
    return this.items.filter((problem) => problem.severity === "error");
  }

  get warnings(): ConfigProblem[] {
    return this.items.filter((problem) => problem.severity === "warning");
  }
}
