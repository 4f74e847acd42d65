/**
 * Imported first by the CDK and CDKTF apps. aws-cdk-lib and cdktf capture a stack trace for every
 * token and construct; with tsx's source maps on, Node maps each trace through the libraries'
 * inline source maps, which costs more than the rest of a small synth (GCP: ~100 of ~600 ms).
 * Errors still name file and function. `DSKIT_SOURCE_MAPS=1` keeps TypeScript-mapped traces.
 * Any error from here on is one line and exit 2 (app-errors.ts).
 */
import { installAppErrorHandler } from './app-errors';

if (process.env.DSKIT_SOURCE_MAPS !== '1') process.setSourceMapsEnabled(false);
installAppErrorHandler();
