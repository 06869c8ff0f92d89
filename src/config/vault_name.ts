/**
 * The rule a Key Vault name follows (3 to 24 letters, digits and '-'), checked for the class's
 * `keyvaultName` and for each object's, before any network call.
 */

/** Why a vault name cannot be used, and the name it probably meant. */
export interface VaultNameProblem {
  readonly message: string;
  /** The vault named in a URL or host name given instead of a name. */
  readonly suggestion?: string;
}

/** Returns why `name` is not a vault name, or `undefined` when it is one; `""` is "not provided". */
export function vaultNameProblem(name: string): VaultNameProblem | undefined {
  // A vault URL or host name is the most common wrong value: name the vault it contains.
  const fromUrl = /^(?:https?:\/\/)?([-A-Za-z0-9]{3,24})\.vault\./i.exec(name)?.[1];
  const hint = fromUrl ? ` (keyvaultName is the vault's name, not its URL: did you mean "${fromUrl}"?)` : "";
  const invalid = `failed to get vault: Invalid vault name: ${JSON.stringify(name)}`;
  if (name === "") return { message: "keyvaultName is not provided" };
  if (name.length < 3 || name.length > 24) {
    return { message: `${invalid}, must be between 3 and 24 chars${hint}`, suggestion: fromUrl };
  }
  if (!/^[-A-Za-z0-9]+$/.test(name)) {
    return { message: `${invalid}, must match [-a-zA-Z0-9]{3,24}${hint}`, suggestion: fromUrl };
  }
  return undefined;
}

/** The URL of vault `name` in a cloud whose Key Vault DNS suffix is `dnsSuffix`. */
export function vaultUrl(name: string, dnsSuffix: string): string {
  return `https://${name}.${dnsSuffix}`;
}
