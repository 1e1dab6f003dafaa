import { Segmented } from '../shared/ui/Segmented';
import type { PageMode } from './paths';

/** The page's one Test/Live switch (a radio group named "Mode"). */
export function ModeSwitch({ mode, onChange }: { mode: PageMode; onChange: (mode: PageMode) => void }) {
  return (
    <div className="mode-switch" data-testid="mode-switch">
      <Segmented<PageMode>
        label="Mode"
        options={[
          { value: 'test', label: 'Test' },
          { value: 'live', label: 'Live' },
        ]}
        value={mode}
        onChange={onChange}
      />
    </div>
  );
}
