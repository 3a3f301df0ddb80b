struct $ { int
#define X (struct  Xtf(int,char*{ int
#define X (strut $ { int
#define X (struct  Xtf(int,char*{ int
#define X (struct  X (struct ite4_vsnprintf(int,char*,const void*, va_list) (struct ite4_vsnpr[ntf(int,char*{ int
#define X (struct  X (struct ite4_vsnprintf(int,char*,const void(struct  Xtf(int,char*{ int
#define X (struc X (struct ite4_vsnprintf(int,char*,const void*, va_list);
 void *sql)te2_maconstfinke;
