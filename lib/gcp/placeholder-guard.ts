import { Fn, Op, TerraformLocal, type TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';

/** The Terraform local that lists the config's placeholder problems, when there are any. */
export const PLACEHOLDER_LOCAL = 'dskit_placeholder_problems';

/**
 * Synth accepts the example's placeholder values (so `npm run synth` works without an account),
 * but `cdktf deploy` must refuse them before creating anything. A lifecycle precondition fails the
 * plan, and nothing is applied without a plan. (A `check` block would only warn; Terraform refuses a
 * constant condition, hence the condition over a local listing the problems.) A destroy plan does
 * not evaluate conditions (Terraform 1.3.4 on, hashicorp/terraform#32096 fixed by #32051), so
 * `cdktf destroy` still runs while the config is blocked, e.g. after teardown deleted the policy.
 *
 * @param guarded a resource with no dependencies, so every plan evaluates it.
 * @param problems one line per placeholder (lib/config formatPlaceholderProblems); none = no guard.
 */
export function refusePlaceholders(scope: Construct, guarded: TerraformResource, problems: readonly string[]): TerraformLocal | undefined {
  if (problems.length === 0) return undefined;
  const local = new TerraformLocal(scope, PLACEHOLDER_LOCAL, [...problems]);
  const lines = problems.map((p) => `  ${p}`.replace(/([$%])\{/g, '$1$1{')).join('\n');
  guarded.lifecycle = {
    ...guarded.lifecycle,
    precondition: [
      ...(guarded.lifecycle?.precondition ?? []),
      {
        // `< 1` rather than `== 0`: cdktf renders a literal 0 operand as `undefined`.
        condition: Op.lt(Fn.lengthOf(local.asList), 1),
        errorMessage:
          `dskit refuses to deploy until these are fixed (placeholder values, an unresolved policy name, or a missing agent signing key):\n${lines}\n` +
          'Edit the config (sandbox.yaml, or the file DSKIT_CONFIG names), check it with `npx dskit preflight`, and deploy again.',
      },
    ],
  };
  return local;
}
