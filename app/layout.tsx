import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { TrpcProviders } from '@/components/trpc/react';
import { themeBootScript } from '@/components/theme-boot';
import './globals.css';

export const metadata: Metadata = {
  title: 'Berth',
  description: 'Containers, images and builds on this machine',
  // In public/, so the login page (no session yet) gets it too.
  icons: { icon: '/favicon.ico' },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeBootScript }} />
      </head>
      <body className="min-h-screen">
        <TrpcProviders>{children}</TrpcProviders>
      </body>
    </html>
  );
}
