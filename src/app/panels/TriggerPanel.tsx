import { TriggerStudio } from '../studio/TriggerStudio';
import { Panel } from '../ui/Panel';

/** Step 3: the trigger studio. */
export function TriggerPanel() {
  return (
    <Panel id="trigger">
      <TriggerStudio />
    </Panel>
  );
}
