import { TerraformResource, anyToTerraform, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';

export { MIN_TERRAFORM_VERSION } from './terraform-version';

export interface TerraformDataProps {
  /** Stored in state; a change is an update, which `replace_triggered_by` on another resource sees. */
  readonly input?: unknown;
  /** A change replaces this resource (and re-runs its provisioners). */
  readonly triggersReplace?: unknown;
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Terraform's built-in `terraform_data` resource. cdktf's own DataResource adds a synth-time
 * validation that runs `terraform version`, so synth would fail wherever Terraform is not
 * installed (SPEC: synth needs nothing but Node). The deploy runs Terraform anyway, which knows
 * `terraform_data` from 1.4 (the stack requires it).
 */
export class TerraformData extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: TerraformDataProps = {},
  ) {
    super(scope, id, { terraformResourceType: 'terraform_data', terraformGeneratorMetadata: { providerName: 'terraform' }, dependsOn: props.dependsOn });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.props.input !== undefined) out.input = anyToTerraform(this.props.input);
    if (this.props.triggersReplace !== undefined) out.triggers_replace = anyToTerraform(this.props.triggersReplace);
    return out;
  }
}
