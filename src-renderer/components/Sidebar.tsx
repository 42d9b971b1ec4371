import { useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, onLiveStatus } from '../api/client';
import type { LiveStatus } from '../api/http';
import { Icon } from './icons';

const NAV = [
  { to: '/sources', label: 'Sources', icon: 'sources' },
  { to: '/users', label: 'Users', icon: 'users' },
  { to: '/model', label: 'Customer Model', icon: 'model' },
  { to: '/warehouse', label: 'Warehouse', icon: 'warehouse' },
  { to: '/settings', label: 'Settings', icon: 'settings' },
];

export function Sidebar() {
  const [location] = useLocation();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [name, setName] = useState('');
  useEffect(() => onLiveStatus(setStatus), []);
  useEffect(() => {
    api.workspace.info().then((i) => setName(i.name), () => undefined);
  }, []);
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark">K</span>
        <div>
          <div className="brand-name">Krenalis</div>
          <div className="brand-ws">{name || 'Workspace'}</div>
        </div>
      </div>
      <ul>
        {NAV.map((n) => (
          <li key={n.to}>
            <Link href={n.to} className={location.startsWith(n.to) ? 'nav-item active' : 'nav-item'}>
              <Icon name={n.icon} />
              <span>{n.label}</span>
            </Link>
          </li>
        ))}
      </ul>
      <div className={`live-status ${status}`} role="status" title="Live connection to the app">
        <span className="dot" />
        {status === 'online' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline — reconnecting'}
      </div>
    </nav>
  );
}
