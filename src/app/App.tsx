import { useEffect } from 'react';
import { Banners } from './Banners';
import { Header } from './Header';
import { AttackPanel } from './panels/AttackPanel';
import { DataPanel } from './panels/DataPanel';
import { ModelPanel } from './panels/ModelPanel';
import { ResultsPanel } from './panels/ResultsPanel';
import { TriggerPanel } from './panels/TriggerPanel';
import { UnlearnPanel } from './panels/UnlearnPanel';
import { useLab } from './store';

/** One page, a left-to-right story: Model → Data → Trigger → Attack → Unlearn → Results. */
export function App() {
  const presenter = useLab((s) => s.presenter);
  useEffect(() => {
    document.documentElement.classList.toggle('presenter', presenter);
  }, [presenter]);
  return (
    <div className="app">
      <Header />
      <Banners />
      <main className="story-grid">
        <ModelPanel />
        <DataPanel />
        <TriggerPanel />
        <AttackPanel />
        <UnlearnPanel />
        <ResultsPanel />
      </main>
      <footer className="foot">
        TBAR: Trigger removal by Backdoor ARithmetic — <i>Backdoor unlearning by linear task decomposition</i>. Everything runs in this tab.
      </footer>
    </div>
  );
}
