package main
import (_ "github.com/duckdb/duckdb-go/v2"; _ "modernc.org/sqlite"; "database/sql"; "fmt")
func main(){ db,err:=sql.Open("duckdb",""); fmt.Println(err); var v string; fmt.Println(db.QueryRow("select version()").Scan(&v), v)}
