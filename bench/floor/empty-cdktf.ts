// The floor for the GCP app: an empty cdktf app with the Google provider.
import { App, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';

const app = new App();
const stack = new TerraformStack(app, 'empty');
new GoogleProvider(stack, 'google', { project: 'empty-project', region: 'us-central1' });
app.synth();
