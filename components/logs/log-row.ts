// The row of a log view (a container's log, a stack's merged log): one height, no wrapping.
export const LOG_ROW_HEIGHT = 18;
export const LOG_ROW_CLASS = 'whitespace-pre px-3 leading-[18px]';
