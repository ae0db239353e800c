import './instrumentation';
import { orderGenerationConfig } from './app/order-generation-config';
import { startOrderGeneration } from './app/start-order-generation';

startOrderGeneration(orderGenerationConfig()).catch((error: unknown) => {
  console.error(`order-generation: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
